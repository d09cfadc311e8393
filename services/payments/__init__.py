"""Money that moves: payment runs and bank statements."""
