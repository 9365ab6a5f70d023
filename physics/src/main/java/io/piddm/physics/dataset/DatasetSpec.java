package io.piddm.physics.dataset;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;

/** What to generate: PDE, resolution, how many samples, from which seed. */
public record DatasetSpec(Pde pde, int resolution, int count, long seed) {

  public DatasetSpec {
    if (pde == null) {
      throw new IllegalArgumentException("pde: required");
    }
    new Grid(resolution);
    Check.positive("count", count);
  }

  public Grid grid() {
    return new Grid(resolution);
  }

  public int channels() {
    return pde.channels().size();
  }

  /** Floats per sample: C × S × S. */
  public int sampleLength() {
    return channels() * resolution * resolution;
  }
}
