"""The ``schema`` group: JSON Schemas of StackRift's inputs and of its JSON report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stackrift.choices import DocumentFormat
from stackrift.cli.options import DocumentFormatOption, OutputPath, command_group
from stackrift.cli.output import write_report

app = command_group(no_args_is_help=True, help="Print JSON Schemas of StackRift's inputs.")


def _write_schema(schema_json: str, output_format: DocumentFormat, output: Path | None) -> None:
    """The schema as given (JSON) or the same document as YAML."""
    if output_format is DocumentFormat.YAML:
        import orjson
        import yaml

        schema_json = yaml.safe_dump(orjson.loads(schema_json), sort_keys=False,
                                     allow_unicode=True)
    write_report(schema_json, output)


@app.command("estate")
def schema_estate(output_format: DocumentFormatOption = DocumentFormat.JSON,
                  output: OutputPath = None) -> None:
    """The JSON Schema of the estate file."""
    from stackrift.estate.schema import estate_json_schema

    _write_schema(estate_json_schema(), output_format, output)


def _input_schema_command(name: str, what: str) -> Callable[..., None]:
    """`schema NAME` for one of the inputs in :mod:`stackrift.input_schemas`."""

    def command(output_format: DocumentFormatOption = DocumentFormat.JSON,
                output: OutputPath = None) -> None:
        from stackrift.input_schemas import InputSchema, input_json_schema

        _write_schema(input_json_schema(InputSchema(name)), output_format, output)

    command.__doc__ = f"The JSON Schema of a {what} file."
    return command


for _name, _what in (("scenario", "stress-test scenario"), ("rule-pack", "rule-pack"),
                     ("waivers", "waivers")):
    app.command(_name)(_input_schema_command(_name, _what))


@app.command("report")
def schema_report(output_format: DocumentFormatOption = DocumentFormat.JSON,
                  output: OutputPath = None) -> None:
    """The JSON Schema of the report written by `assess --format json`."""
    from stackrift.report.json_schema import report_json_schema

    _write_schema(report_json_schema(), output_format, output)


@app.command("controls")
def schema_controls(output_format: DocumentFormatOption = DocumentFormat.JSON,
                    output: OutputPath = None) -> None:
    """The JSON Schema of a controls file (`compliance obligations --controls`)."""
    import orjson

    from stackrift.compliance.schema import controls_schema

    _write_schema(orjson.dumps(controls_schema(), option=orjson.OPT_INDENT_2).decode(),
                  output_format, output)
