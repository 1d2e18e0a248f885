"""Package the application for CloudFormation: `chalice package`, then the wiring it cannot express.

`chalice package --merge-template infra/template.yaml` emits the functions, the REST API and our
resources in one SAM template. Three things Chalice's configuration cannot say are finished here:

* roles and layers named in .chalice/config.json by the logical id of a template resource
  (Chalice only takes literal ARN strings there) become references to those resources;
* SQS event sources report partial batch failures (powertools' BatchProcessor relies on it,
  otherwise one bad message would make the whole batch retry or be dropped);
* the recognition layer zip built by `make layer` is placed beside the packaged template.

Usage: python -m infra.package STAGE OUTPUT_DIR [--layer-zip PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LAYER_ZIP_NAME = "recognition-layer.zip"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def finalize(template: dict[str, Any]) -> dict[str, Any]:
    """Turn logical-id strings into references and enable partial batch responses."""
    resources: dict[str, Any] = template["Resources"]
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        role = properties.get("Role")
        if isinstance(role, str) and role in resources:
            properties["Role"] = {"Fn::GetAtt": [role, "Arn"]}
        if "Layers" in properties:
            properties["Layers"] = [
                {"Ref": layer} if isinstance(layer, str) and layer in resources else layer
                for layer in properties["Layers"]
            ]
        for event in properties.get("Events", {}).values():
            if event.get("Type") == "SQS":
                event["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    return template


def package(stage: str, output: Path, layer_zip: Path | None) -> Path:
    """Run chalice package for the stage and finalize the template in place."""
    if output.exists():
        shutil.rmtree(output)
    subprocess.run(  # noqa: S603 - fixed arguments, our own CLI
        [str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage,
         "--merge-template", "infra/template.yaml", "--template-format", "yaml", str(output)],
        cwd=ROOT, check=True)
    template_path = output / "sam.yaml"
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    template_path.write_text(yaml.safe_dump(finalize(template), sort_keys=False),
                             encoding="utf-8")
    if layer_zip is not None:
        shutil.copyfile(layer_zip, output / LAYER_ZIP_NAME)
        check_unzipped_size(output / "deployment.zip", output / LAYER_ZIP_NAME)
    return template_path


def unzipped_size(archive: Path) -> int:
    with zipfile.ZipFile(archive) as opened:
        return sum(info.file_size for info in opened.infolist())


def check_unzipped_size(function_zip: Path, layer_zip: Path) -> int:
    """Lambda refuses a function whose code plus layers exceed 250 MB unzipped."""
    total = unzipped_size(function_zip) + unzipped_size(layer_zip)
    print(f"package: function + layer = {total / 2**20:.1f} MB unzipped "
          f"(Lambda's limit: {LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MB)")
    if total > LAMBDA_UNZIPPED_LIMIT:
        raise SystemExit("function package plus recognition layer exceed the Lambda limit")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("stage", choices=["dev", "prod"])
    parser.add_argument("output", type=Path)
    parser.add_argument("--layer-zip", type=Path, default=None)
    args = parser.parse_args(argv)
    print(package(args.stage, args.output, args.layer_zip))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
