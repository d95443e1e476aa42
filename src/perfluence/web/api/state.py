"""The ``Context`` the API's routes run in, kept on the FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, Request

from perfluence.services.context import Context


def attach_context(api: FastAPI, ctx: Context) -> None:
    api.state.perfluence_context = ctx


def context_of(request: Request) -> Context:
    ctx = request.app.state.perfluence_context
    assert isinstance(ctx, Context)
    return ctx
