/*! relive-embed.js: drive a Relive embed from the page that frames it (protocol v1, README "Embedding") */
(function (root, make) {
  if (typeof module == 'object' && module.exports) module.exports = make();
  else root.ReliveEmbed = make();
})(typeof self != 'undefined' ? self : this, function () {
  /**
   * @typedef {{currentTime: number, duration: number, paused: boolean, muted: boolean,
   *   volume: number, playbackRate: number, ended: boolean, ready: boolean}} State
   * @typedef {{ready: Promise<State>, play(): void, pause(): void, seek(s: number): void,
   *   setVolume(v: number): void, setMuted(m: boolean): void, setPlaybackRate(r: number): void,
   *   getState(): Promise<State>, on(name: string, f: (value: any) => void): void,
   *   off(name: string, f: Function): void, destroy(): void}} Player
   */
  /**
   * @param {HTMLIFrameElement} frame an iframe showing `…/embed/replays/{id}`
   * @returns {Player}
   */
  function player(frame) {
    var origin = new URL(frame.src, location.href).origin,
      on = {}, waiting = {}, n = 0, done, poll;
    function send(name, value, id) {
      var w = frame.contentWindow;
      if (w) w.postMessage({ relive: 1, type: 'command', id: id, name: name, value: value }, origin);
    }
    function getState() {
      var id = ++n;
      return new Promise(function (ok) { waiting[id] = ok; send('getState', undefined, id); });
    }
    var ready = new Promise(function (ok) { done = ok; });
    function isReady(s) { if (s && s.ready) { clearInterval(poll); done(s); } }
    function listen(e) {
      var m = e.data;
      if (e.source != frame.contentWindow || e.origin != origin || !m || m.relive !== 1) return;
      if (m.type == 'state') {
        isReady(m.value);
        if (waiting[m.id]) { waiting[m.id](m.value); delete waiting[m.id]; }
      }
      if (m.type != 'event') return;
      if (m.name == 'ready') isReady(m.value);
      (on[m.name] || []).slice().forEach(function (f) { f(m.value); });
    }
    addEventListener('message', listen);
    // The embed may have been ready before this page looked: ask until it says so.
    poll = setInterval(function () { send('getState', undefined, 0); }, 250);
    var cmd = function (name) { return function (v) { send(name, v); }; };
    return {
      ready: ready,
      play: cmd('play'),
      pause: cmd('pause'),
      seek: cmd('seek'),
      setVolume: cmd('setVolume'),
      setMuted: cmd('setMuted'),
      setPlaybackRate: cmd('setPlaybackRate'),
      getState: getState,
      on: function (name, f) { (on[name] = on[name] || []).push(f); },
      off: function (name, f) { on[name] = (on[name] || []).filter(function (g) { return g != f; }); },
      destroy: function () { clearInterval(poll); removeEventListener('message', listen); }
    };
  }
  return { player: player, version: 1 };
});
