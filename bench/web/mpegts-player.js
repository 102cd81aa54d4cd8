// mpegts-player.html's script: createPlayer, attach, load, play (unless ?autoplay=0).
const params = new URL(location.href).searchParams;
const url = params.get('url');
const config = params.has('config') ? JSON.parse(params.get('config')) : undefined;
const video = document.querySelector('video');
const player = mpegts.createPlayer({ type: 'flv', url, isLive: false }, config);
player.on(mpegts.Events.ERROR, (type, detail, info) => console.error(`mpegts.js error: ${type} ${detail} ${JSON.stringify(info)}`));
player.attachMediaElement(video);
player.load();
if (params.get('autoplay') !== '0') {
  const p = player.play();
  if (p && p.catch) p.catch((e) => console.error(`play(): ${e}`));
}
window.player = player;
