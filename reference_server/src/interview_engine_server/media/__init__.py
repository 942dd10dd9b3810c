"""Live interviews over WebRTC (aiortc): signalling, peers, and the candidate's audio and video fed to the
SDK's media pipeline. See ``live.LiveMedia`` and docs/live.md."""

from .ice import IceServer, ice_servers
from .live import LiveMedia

__all__ = ["IceServer", "LiveMedia", "ice_servers"]
