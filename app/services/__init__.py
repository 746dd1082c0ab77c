"""Use cases shared by the JSON API (app/api) and the web pages (app/web).

Each function takes the wired `System` (app.bootstrap) and the `Caller`, enforces who may do
what, and raises app.services.errors on refusal; neither Flask nor HTTP appears here.
"""
