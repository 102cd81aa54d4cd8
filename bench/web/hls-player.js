// hls-player.html's script: new Hls, loadSource, attachMedia, play (unless ?autoplay=0).
const params = new URL(location.href).searchParams;
const url = params.get('url');
const config = { workerPath: 'hls.worker.js', ...(params.has('config') ? JSON.parse(params.get('config')) : {}) };
const video = document.querySelector('video');
const hls = new Hls(config);
hls.on(Hls.Events.ERROR, (_e, data) => {
  if (data.fatal) console.error(`hls.js fatal error: ${data.type} ${data.details} ${data.reason ?? ''}`);
});
hls.loadSource(url);
hls.attachMedia(video);
if (params.get('autoplay') !== '0') {
  const p = video.play();
  if (p && p.catch) p.catch((e) => console.error(`play(): ${e}`));
}
window.hls = hls;
