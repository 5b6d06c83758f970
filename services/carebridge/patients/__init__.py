"""Patient submissions: HL7 ADT in, acknowledgments out, a master patient index and an
excessive length-of-stay monitor in between. ``submit`` is the pipeline; ``mpi`` and
``los`` are its two consumers; ``service`` is the SOAP face."""
