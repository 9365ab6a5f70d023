package io.piddm.physics.residual;

/** Which discretisation a residual spec follows. */
public enum ResidualFamily {
  /** The solver's own discretisation: ground truth has a residual at solver precision. */
  CONSISTENT,
  /** h-scaled central differences with cropped edges, comparable with published numbers. */
  PUBLISHED_COMPATIBLE
}
