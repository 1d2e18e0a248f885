"""The only modules that import boto3: thin typed wrappers, botocore errors mapped to our own."""
