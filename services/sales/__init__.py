"""Order-to-fulfil: intake, pricing, allocation, shipping, payments and marketplace settlements."""
