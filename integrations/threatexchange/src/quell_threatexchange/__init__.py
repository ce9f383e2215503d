"""
A Quell registry as a python-threatexchange (pytx) signal exchange.

`threatexchange config extensions add quell_threatexchange` loads `TX_MANIFEST`; HMA lists
`QuellSignalExchangeAPI` in its `exchange_types`. See README.md beside this package.
"""

from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest

from quell_threatexchange.client import QuellAPIError, QuellClient
from quell_threatexchange.exchange import (
    OUTCOME_FOR_OPINION,
    PYTX_SIGNAL_NAMES,
    QuellCheckpoint,
    QuellCollabConfig,
    QuellCredentials,
    QuellEntry,
    QuellSignalExchangeAPI,
    QuellSignalMetadata,
)

TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(QuellSignalExchangeAPI,))

__all__ = [
    "OUTCOME_FOR_OPINION",
    "PYTX_SIGNAL_NAMES",
    "QuellAPIError",
    "QuellCheckpoint",
    "QuellClient",
    "QuellCollabConfig",
    "QuellCredentials",
    "QuellEntry",
    "QuellSignalExchangeAPI",
    "QuellSignalMetadata",
    "TX_MANIFEST",
]
