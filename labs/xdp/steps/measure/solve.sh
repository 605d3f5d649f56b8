# All three datapaths at two payload sizes, 1 s each (the lesson's full run is the default).
set -eu
./measure.sh --sizes 64,1400 --seconds 1
