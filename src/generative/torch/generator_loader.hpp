#pragma once
// Loads a generator model file on one of two routes (docs/model-format.md):
//
//   torchscript  TorchGenerator: the file's own TorchScript methods, Torch's autograd;
//   native       NativeGenerator: the decoder in plain C++ and level-3 BLAS, for the
//                architectures `priorbench train` writes (native_import.hpp recognizes
//                them); the encoder stays on TorchScript;
//   automatic    native when the file is recognized, else torchscript.
//
//   auto generator = load_generator("models/fmnist-vae-mlp-m16.pt");  // route() == "native"
//
// Both routes agree to rounding (tests/unit/native_generator.cpp); generator->route() says
// which one a generator takes. Plain C++ header.

#include <memory>
#include <string>

#include "generative/generator.hpp"
#include "generative/generator_route.hpp"
#include "generative/torch/torch_generator.hpp"

namespace priorbench {

// Throws priorbench::Error as TorchGenerator does for a file that breaks the contract, and
// for GeneratorRoute::native when the file is not recognized (naming why). `options` set
// Torch's threads and the memory budget of both routes (jacobian_memory).
std::shared_ptr<Generator> load_generator(const std::string& path, GeneratorRoute route = GeneratorRoute::automatic,
                                          TorchGeneratorOptions options = {});

}  // namespace priorbench
