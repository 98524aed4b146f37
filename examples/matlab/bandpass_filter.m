function filtered_signal = bandpass_filter(signal, low_hz, high_hz)
% Keeps the frequencies between LOW_HZ and HIGH_HZ of a signal sampled at
% 2 kHz (the seed's example filter, filled in with an FFT mask).
    n = numel(signal);
    spectrum = fft(signal(:));
    freqs = [0:floor(n / 2), -ceil(n / 2) + 1:-1]' * (2000 / n);
    spectrum(abs(freqs) < low_hz | abs(freqs) > high_hz) = 0;
    filtered_signal = real(ifft(spectrum));
end
