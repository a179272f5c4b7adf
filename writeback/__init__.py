"""Stock-correction write-back (DESIGN §8): outbox, channel clients and the channel sandbox.

    from writeback import Correction, WritebackSettings, run_writeback
    report = run_writeback(warehouse_path, corrections_df)   # or dry_run=True

The sandbox lives in `writeback.sandbox` (imported on its own: it needs Starlette and uvicorn).
"""

from writeback.corrections import Correction, as_corrections, correction_id_for
from writeback.run import WritebackReport, run_writeback
from writeback.settings import WritebackSettings

__all__ = [
    "Correction",
    "WritebackReport",
    "WritebackSettings",
    "as_corrections",
    "correction_id_for",
    "run_writeback",
]
