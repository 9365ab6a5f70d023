package io.piddm.physics.pde;

import io.piddm.physics.grid.Grid;
import java.util.Map;

/**
 * Makes sample k of a dataset seed, independent of the order samples are made in. Implementations
 * are not thread-safe: each worker thread creates its own with {@link #standard}.
 */
public interface SampleGenerator {

  JointField sample(long seed, long index);

  /** Generator and solver settings, for dataset sidecars and model lineage. */
  Map<String, Object> description();

  /** The benchmark generator of {@code pde} on {@code grid}. */
  static SampleGenerator standard(Pde pde, Grid grid) {
    return switch (pde) {
      case DARCY, POISSON, HELMHOLTZ -> EllipticGenerator.standard(pde, grid);
      case BURGERS -> BurgersGenerator.standard(grid.size());
    };
  }
}
