package store

import "strings"

// PeerLabel is the readable name of the remote side of a connection (or of any participant), the Go
// twin of peerLabelSQL so that frames built in Go and tables built in SQL agree:
//   - a known SFU transport id of the SDK integrations (SFUPeerLabels: LiveKit publisher →
//     "LiveKit SFU (publisher)", subscriber → "LiveKit SFU (subscriber)", Jitsi P2P → "(P2P)",
//     JVB → "(JVB/SFU)") maps to its label whatever is_sfu says (SDKs before 2.8 did not always set it);
//   - another SFU participant reads "SFU (<participant id>)";
//   - anybody else their participant_name, else their participant_id, else "unknown".
//
// Blank names count as absent.
func PeerLabel(participantID string, isSFU bool, name *string) string {
	id := strings.TrimSpace(participantID)
	if l, ok := SFUPeerLabels[id]; ok {
		return l
	}
	if isSFU && id != "" {
		return "SFU (" + id + ")"
	}
	if name != nil && strings.TrimSpace(*name) != "" {
		return strings.TrimSpace(*name)
	}
	if id != "" {
		return id
	}
	return "unknown"
}
