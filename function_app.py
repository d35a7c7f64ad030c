"""The Azure Functions entry point: builds the app and registers its functions."""

from __future__ import annotations

import azure.durable_functions as df

from centreon.blueprint import blueprint

app = df.DFApp()
app.register_functions(blueprint)
