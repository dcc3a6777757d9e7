"""Use cases. Each public function runs one unit of work (one transaction)."""
