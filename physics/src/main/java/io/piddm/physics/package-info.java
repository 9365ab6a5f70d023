/**
 * PDE data generators, solvers, residual specs and metrics. Everything here is plain Java in
 * float64 where it judges physics; the trainer, the exporter and the sampler call it and never
 * re-type a stencil.
 */
package io.piddm.physics;
