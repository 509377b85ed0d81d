"""Emulators of Adobe Campaign's APIs, for tests and for development.

Written from the documented contract (../shared/spec/campaign-api.md), apart
from the client code: this package imports nothing from `signup_site.campaign`,
so a misunderstanding in the client is not mirrored here.
"""
