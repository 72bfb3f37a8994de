"""Per-chapter exercise checks. Each module computes its expected answers independently."""
