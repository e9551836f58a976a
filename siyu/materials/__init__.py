"""Materials library (素材库): what messages, welcomes and moments attach."""
