"""What the data says about a unit: receptive fields, top activating patches, feature space."""
