// rotations.js: the nav_rotations page (being built; see issue 9).
'use strict';

pano.start(async () => {});
