"""Modules the worker fork server imports before it forks any worker (reportgen.parallel).

Importing one loads a worker duty's libraries and fonts once, in the fork server, so every
worker forked from it starts warm. They do nothing else and are never imported by a build.
"""
