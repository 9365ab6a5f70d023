package io.piddm.physics.pde;

import io.piddm.physics.grid.Field;
import java.util.List;

/** One sample: the channels of a PDE's joint field, in the order {@link Pde#channels()} names. */
public record JointField(Pde pde, List<Field> channels) {

  public JointField {
    channels = List.copyOf(channels);
    if (channels.size() != pde.channels().size()) {
      throw new IllegalArgumentException(
          "channels: " + pde.id() + " has " + pde.channels().size() + ", got " + channels.size());
    }
  }

  public Field channel(String name) {
    return channels.get(pde.channels().indexOf(name));
  }
}
