"""Pure domain model: values, rules of shape and parsing, no I/O."""
