"""What several test modules share: factories, clients, fixtures, fakes."""
