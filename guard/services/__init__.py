"""Use cases. Each public function owns its transaction: one commit point per use case."""
