"""The seeded simulator of the retailer: sources in their real formats, and the ground truth.

`ingest.simulate.simulate` is the entry point; `Scenario` holds every rate and problem knob.
See README.md in this folder for the scenario, the injected problems and the truth tables.
"""

from ingest.simulator.params import START, Scenario

__all__ = ["START", "Scenario"]
