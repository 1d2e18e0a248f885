"""CloudFormation references for the event sources that Chalice wires to our own resources.

`chalice package` copies these values verbatim into the SAM template, where they resolve to the
queue and stream that infra/template.yaml declares; the local event pump resolves the same
references against the resources it provisioned. Names of the resources therefore live only in
the template. (`chalice deploy` cannot use them; deployment goes through `make package`.)
"""

from __future__ import annotations

from typing import cast


def _get_att(logical_id: str, attribute: str) -> str:
    # Chalice types these parameters as str; a CloudFormation intrinsic is what we mean.
    return cast(str, {"Fn::GetAtt": [logical_id, attribute]})


INGEST_QUEUE_ARN = _get_att("IngestQueue", "Arn")
IMAGES_STREAM_ARN = _get_att("ImagesTable", "StreamArn")
READS_STREAM_ARN = _get_att("ReadsTable", "StreamArn")
DISPATCH_QUEUE_ARN = _get_att("DispatchQueue", "Arn")
