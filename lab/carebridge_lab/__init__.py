"""A real cluster on one machine: throwaway PostgreSQL, N carebridge nodes, HAProxy.

For ``carebridge cluster``, the failover exercise and the test suite; all on 127.0.0.1.
"""
