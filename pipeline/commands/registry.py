"""``carm registry …``: service providers, importers, brokers and who may file for whom (checks A01–A03, A02, B02)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.commands.common import JsonOption, print_json, run, stdout

NameOption = Annotated[str, typer.Option("--name", help="The name to register.")]


def register(app: typer.Typer) -> None:
    registry = typer.Typer(no_args_is_help=True, help="The registry of service providers, importers and brokers.")
    registry.command("add-provider")(add_provider)
    registry.command("add-importer")(add_importer)
    registry.command("add-broker")(add_broker)
    registry.command("authorize")(authorize)
    registry.command("list")(list_registry)
    registry.command("load")(load)
    app.add_typer(registry, name="registry")


def _runtime():  # noqa: ANN202
    from pipeline.runtime import open_runtime

    return open_runtime()


def add_provider(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="Sender ID: 3-17 characters A-Z 0-9 (its inbound folder).")],
    name: NameOption,
    json_output: JsonOption = False,
) -> None:
    """Register a service provider (a sender of CAD files) or rename it."""

    def body() -> int:
        from pipeline.intake import registry
        from pipeline.registry import provider_document

        provider = registry.add_provider(_runtime(), provider_id, name)
        if json_output:
            print_json({"provider": provider_document(provider)})
        else:
            stdout().print(f"Service provider {provider.id} registered: {provider.name}")
        return 0

    run(body)


def add_importer(
    bn15: Annotated[str, typer.Argument(help="The importer's BN15 RM program account, e.g. 123456782RM0001.")],
    name: NameOption,
    security: Annotated[
        str | None,
        typer.Option("--security", help="RPP security posted, in dollars. Default: unchanged (new importer: 0.00)."),
    ] = None,
    rpp: Annotated[
        bool | None,
        typer.Option("--rpp/--no-rpp", help="Release prior to payment. Default: unchanged (new importer: RPP)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Register an importer (or update its name, security and RPP status)."""

    def body() -> int:
        from pipeline.intake import registry
        from pipeline.registry import importer_document

        importer = registry.add_importer(_runtime(), bn15, name, security=security, rpp=rpp)
        if json_output:
            print_json({"importer": importer_document(importer)})
        else:
            stdout().print(f"Importer {importer.bn15} registered: {importer.name} (security {importer.security}, "
                           f"{'RPP' if importer.rpp else 'no RPP'})")
        return 0

    run(body)


def add_broker(
    bn9: Annotated[str, typer.Argument(help="The customs broker's 9-digit business number.")],
    name: NameOption,
    json_output: JsonOption = False,
) -> None:
    """Register a customs broker."""

    def body() -> int:
        from pipeline.intake import registry
        from pipeline.registry import broker_document

        broker = registry.add_broker(_runtime(), bn9, name)
        if json_output:
            print_json({"broker": broker_document(broker)})
        else:
            stdout().print(f"Broker {broker.bn9} registered: {broker.name}")
        return 0

    run(body)


def authorize(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="The service provider.")],
    bn15: Annotated[str, typer.Argument(help="The importer it may file for.")],
    json_output: JsonOption = False,
) -> None:
    """Allow a service provider to file CADs for an importer (A02)."""

    def body() -> int:
        from pipeline.intake import registry
        from pipeline.registry import authorization_document

        provider, importer = registry.authorize(_runtime(), provider_id, bn15)
        if json_output:
            print_json({"authorization": authorization_document(provider, importer)})
        else:
            stdout().print(f"{provider} may file for {importer}")
        return 0

    run(body)


def list_registry(json_output: JsonOption = False) -> None:
    """List the registry (``--json``: the document ``carm registry load`` reads)."""

    def body() -> int:
        from pipeline.intake import registry

        document = registry.registry_listing(_runtime())
        if json_output:
            print_json(document)
            return 0
        console = stdout()
        console.print(f"Service providers ({len(document['providers'])}):")
        for p in document["providers"]:
            filing_for = [a["importer"] for a in document["authorizations"] if a["provider"] == p["id"]]
            console.print(f"  {p['id']}  {p['name']}  files for: {', '.join(filing_for) or 'nobody yet'}")
        console.print(f"Importers ({len(document['importers'])}):")
        for i in document["importers"]:
            console.print(f"  {i['bn15']}  {i['name']}  security {i['security']}  {'RPP' if i['rpp'] else 'no RPP'}")
        console.print(f"Brokers ({len(document['brokers'])}):")
        for b in document["brokers"]:
            console.print(f"  {b['bn9']}  {b['name']}")
        return 0

    run(body)


def load(
    file: Annotated[Path, typer.Argument(help="Registry records: CSV (kind,id,name,security,rpp,importer) or JSON.")],
    json_output: JsonOption = False,
) -> None:
    """Add or update the registry records of a CSV or JSON file."""

    def body() -> int:
        from pipeline.intake import registry

        counts = registry.load_file(_runtime(), file)
        if json_output:
            print_json(counts)
        else:
            stdout().print(
                f"Loaded {file}: {counts['providers']} provider(s), {counts['importers']} importer(s), "
                f"{counts['brokers']} broker(s), {counts['authorizations']} authorization(s)"
            )
        return 0

    run(body)
