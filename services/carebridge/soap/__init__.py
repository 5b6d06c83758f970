"""Shared Spyne plumbing: safe XML parsing, WS-Security, JAX-WS conventions, faults."""
