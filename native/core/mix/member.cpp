#include "core/mix/member.h"

namespace confmix {

Member::Member(uint32_t id, size_t frame_samples, int energy_threshold, int hangover_frames)
    : id_(id),
      gate_(energy_threshold, hangover_frames),
      input_(frame_samples, 0),
      contribution_(frame_samples, 0),
      private_output_(frame_samples, 0) {}

MemberState Member::State() const {
  MemberState s;
  s.id = id_;
  s.mute = mute_;
  s.deaf = deaf_;
  s.hold = hold_;
  s.talk_level = talk_level_;
  s.listen_level = listen_level_;
  s.energy_level = gate_.threshold();
  s.energy = energy_;
  s.gate_open = gate_.open();
  s.talking = gate_.talking();
  s.contributed = contributed_;
  s.playbacks = playbacks_;
  s.output_group = output_group_;
  return s;
}

}  // namespace confmix
