"""HTTP only: one router module per resource, response models that keep the public JSON names, dependencies."""
