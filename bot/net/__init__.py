"""Outbound network access: one policy for every fetch (see :mod:`bot.net.outbound`)."""

from bot.net.outbound import (
    MAX_REDIRECTS,
    AddressClass,
    OutboundPolicy,
    PrivatePolicy,
    Resolver,
    address_class,
    host_class,
    open_url,
    system_resolver,
)

__all__ = [
    "MAX_REDIRECTS",
    "AddressClass",
    "OutboundPolicy",
    "PrivatePolicy",
    "Resolver",
    "address_class",
    "host_class",
    "open_url",
    "system_resolver",
]
