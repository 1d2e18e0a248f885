"""Pure policy rules, each named after the clause of policy 428 or the Civil Code it enforces."""
