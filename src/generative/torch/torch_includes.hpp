#pragma once
// The Torch headers every translation unit of priorbench_torch uses, precompiled once
// (CMakeLists.txt). Include only from .cpp files under src/generative/torch/ and from the
// internal headers there: no public header includes Torch.

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/optim/adam.h>
#include <torch/script.h>
#include <torch/serialize.h>
