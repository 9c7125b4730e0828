"""National connectors, each an adapter with a documented contract, calling through the
gateway's data plane so that every call is in the message log:

- `portal`: dossier events to the national public-service portal (national status 1–10),
  retried until acknowledged; synchronisation rate per agency.
- `population`: citizen look-up in the national population database, with the citizen's
  consent recorded and every look-up audited.
- `docaxis`: the national document axis, for the `exchange` app's axis channel: every
  edXML package sent to it goes through the gateway with its DocumentId.

The national systems' real APIs are not public: these adapters speak the contract written
in each module (a labelled stub of the documented shape), and `fakes.py` implements the
same contract as a separate local HTTP process for tests and the demo.
"""
