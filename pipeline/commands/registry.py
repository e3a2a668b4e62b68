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
) -> None:
    """Register a service provider (a sender of CAD files) or rename it."""

    def body() -> int:
        from pipeline.intake import registry

        registry.add_provider(_runtime(), provider_id, name)
        stdout().print(f"Service provider {provider_id} registered: {name}")
        return 0

    run(body)


def add_importer(
    bn15: Annotated[str, typer.Argument(help="The importer's BN15 RM program account, e.g. 123456782RM0001.")],
    name: NameOption,
    security: Annotated[str, typer.Option("--security", help="RPP security posted, in dollars.")] = "0.00",
    rpp: Annotated[bool, typer.Option("--rpp/--no-rpp", help="Release prior to payment.")] = True,
) -> None:
    """Register an importer (or update its name, security and RPP status)."""

    def body() -> int:
        from pipeline.intake import registry

        registry.add_importer(_runtime(), bn15, name, security=security, rpp=rpp)
        stdout().print(f"Importer {bn15} registered: {name} (security {registry.check_security(security)}, "
                       f"{'RPP' if rpp else 'no RPP'})")
        return 0

    run(body)


def add_broker(
    bn9: Annotated[str, typer.Argument(help="The customs broker's 9-digit business number.")],
    name: NameOption,
) -> None:
    """Register a customs broker."""

    def body() -> int:
        from pipeline.intake import registry

        registry.add_broker(_runtime(), bn9, name)
        stdout().print(f"Broker {bn9} registered: {name}")
        return 0

    run(body)


def authorize(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="The service provider.")],
    bn15: Annotated[str, typer.Argument(help="The importer it may file for.")],
) -> None:
    """Allow a service provider to file CADs for an importer (A02)."""

    def body() -> int:
        from pipeline.intake import registry

        registry.authorize(_runtime(), provider_id, bn15)
        stdout().print(f"{provider_id} may file for {bn15}")
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
