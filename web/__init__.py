"""Flask blueprints: operator and auditor pages, login and roles, the player API.

Empty on purpose: the models and user helpers here are imported by the command line
and the demo, which should not pay for importing Flask (see ``loa.web.wiring``).
"""
