"""The browser test infrastructure itself: the server answers on a real port, and Chromium's fake camera
and microphone play the astronaut y4m and the flite WAV."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Route

BLANK = ("<!doctype html><html lang='en'><title>Fake media</title><main><h1>Fake media</h1>"
         "<video autoplay muted playsinline aria-label='camera'></video></main></html>")


def test_the_fake_devices_play_the_astronaut_and_the_spoken_answer(page: Page, browser_server: Any, shot: Any,
                                                                    axe: Any) -> None:
    assert browser_server.http.get("/v1/health").status_code == 200
    url = f"{browser_server.url}/fake-media"  # served by Playwright: a secure context without the API's headers

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=BLANK)

    page.route(url, fulfil)
    page.goto(url)
    media = page.evaluate("""async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const video = document.querySelector("video");
        video.srcObject = stream;
        await video.play();
        const audio = new AudioContext();
        const analyser = audio.createAnalyser();
        audio.createMediaStreamSource(stream).connect(analyser);
        const samples = new Float32Array(analyser.fftSize);
        let loudest = 0;
        for (let i = 0; i < 40 && loudest < 0.01; i++) {
            await new Promise(r => setTimeout(r, 50));
            analyser.getFloatTimeDomainData(samples);
            loudest = Math.max(loudest, ...samples.map(Math.abs));
        }
        return { kinds: stream.getTracks().map(t => t.kind).sort(), width: video.videoWidth,
                 height: video.videoHeight, loudest };
    }""")
    assert media["kinds"] == ["audio", "video"]
    assert (media["width"], media["height"]) == (512, 512)  # the astronaut, not Chromium's own test pattern
    assert media["loudest"] > 0.01  # flite speaking, not silence
    shot(page, "fake-camera")
    axe(page)
