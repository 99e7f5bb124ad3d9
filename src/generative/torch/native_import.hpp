#pragma once
// Recognizes a model file written by `priorbench train` and reads its decoder into plain
// data for the native route (generative/native/). Plain C++ header.
//
// A model is recognized when it is exactly what `priorbench train` writes for some options:
// its `architecture` attribute is `mlp` or `conv` and, for a VAE, it has
// `log_variance_floor`; the options (hidden widths, channels) are read off the parameter
// shapes (the encoder's for a VAE, the decoder's for a GAN, kind "gan"); and a module built
// by vae_model.hpp (gan_model.hpp) for those options has the same parameters (names and shapes) and the
// same code, method by method (TorchScript graphs compared after both went through a save
// and a load). Anything else — a model scripted elsewhere, a renamed parameter, an edited
// method, a file from a future version with other code — is not recognized and stays on
// the TorchScript route, with the reason.

#include <optional>
#include <string>

#include "generative/native/native_decoder.hpp"
#include "generative/native/native_flow.hpp"
#include "generative/torch/torch_generator.hpp"

namespace priorbench {

struct NativeImport {
  std::optional<native::NativeDecoderWeights> weights;  // when recognized
  std::string mismatch;                                 // else why not, one line
};

NativeImport import_native_decoder(const TorchGenerator& generator);

// The same for a flow of kind "flow" (flow_model.hpp): recognized when its options, read
// off its parameter shapes (steps per level, conditioner widths), build a module with the
// same parameters, the same code and the same permutations, and its pre-processing is the
// centring (`none`; a logit flow stays on the TorchScript route).
struct NativeFlowImport {
  std::optional<native::NativeFlowWeights> weights;  // when recognized
  std::string mismatch;                              // else why not, one line
};

NativeFlowImport import_native_flow(const TorchGenerator& generator);

}  // namespace priorbench
