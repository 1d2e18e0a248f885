"""Evidence packages (policy 428.5): ZIPs of reads, images and crops with a SHA-256 manifest and a
chain of custody, checkable offline with `python -m chalicelib.evidence verify PACKAGE.zip`."""
