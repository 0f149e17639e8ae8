# Installation and the package config arrive in the build-infrastructure step.
