"""Currencies (ISO 4217) and countries (ISO 3166-1 alpha-2), from maintained packages, not hand-written lists."""

from __future__ import annotations


def currency_minor_units() -> dict[str, int]:
    """ISO 4217 code -> number of minor-unit digits (USD 2, JPY 0, KWD 3), from the ``iso4217`` package.

    Codes without minor units (gold, SDR, fund codes: "N.A." in List One) cannot be an invoice currency and
    are left out.
    """
    import iso4217  # imported here: only a loader call pays for it

    return {
        currency.code: currency.exponent for currency in iso4217.Currency if currency.exponent is not None
    }


def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code, from the ``pycountry`` package."""
    import pycountry

    return frozenset(country.alpha_2 for country in pycountry.countries)


def currency_source() -> str:
    from importlib.metadata import version

    import iso4217

    return f"ISO 4217 List One published {iso4217.__published__:%Y-%m-%d}, from the iso4217 package {version('iso4217')}"


def country_source() -> str:
    from importlib.metadata import version

    return f"ISO 3166-1 alpha-2, from the pycountry package {version('pycountry')}"
