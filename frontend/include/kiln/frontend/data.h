// kiln::data: datasets, transforms and the data loader.
#pragma once

#include "kiln/frontend/data/dataloader.h"
#include "kiln/frontend/data/dataset.h"
#include "kiln/frontend/data/idx.h"
#include "kiln/frontend/data/mnist.h"
#include "kiln/frontend/data/transforms.h"
