"""WS-Security UsernameToken (PasswordText and PasswordDigest), server side.

``usernametoken`` reads and checks one token; ``nonces`` remembers digests'
nonces in the database; ``authenticate`` ties them to a facility account.
"""
