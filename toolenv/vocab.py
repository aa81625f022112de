"""Shared word lists that seeded record names are drawn from.

Category specs write names as templates such as ``"{adj} {noun} Holdings"``; each slot is
filled from a table's own ``vocab`` first and from these lists otherwise. The lists are
large enough that a 60-row table gets unique names without retries piling up.
"""

from __future__ import annotations

__all__ = ["VOCAB"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VOCAB: dict[str, tuple[str, ...]] = {
    "adj": _words(
        "Amber Ancient Arctic Azure Bold Bright Broken Calm Cobalt Crimson Crystal Distant "
        "Dusty Electric Emerald Endless Fading Fierce Frozen Gentle Gilded Golden Granite "
        "Hidden Hollow Iron Ivory Jade Last Little Lone Lucky Lunar Marble Midnight Misty "
        "Noble Northern Obsidian Pale Quiet Radiant Rapid Restless Rusty Scarlet Secret "
        "Silent Silver Solar Southern Steady Stormy Swift Tidal Velvet Violet Wild Winter"
    ),
    "noun": _words(
        "Anchor Arrow Atlas Beacon Bridge Canyon Cedar Circle Comet Compass Crown Delta "
        "Echo Ember Falcon Feather Forge Frontier Garden Glacier Harbor Haven Horizon "
        "Island Lantern Meadow Mirror Monarch Nova Oak Orbit Peak Pine Pioneer Prairie "
        "Prism Quarry Raven Reef Ridge River Summit Spire Spring Stone Tide Timber Tower "
        "Trail Valley Vertex Voyage Willow Zenith"
    ),
    "first": _words(
        "Ada Alan Amara Anika Arjun Beatriz Bruno Camila Chen Clara Dario Diego Elena Elif "
        "Emeka Farah Felix Freya Hana Hugo Ines Ivan Jonas Kai Kenji Lara Leila Liam Lucia "
        "Malik Maya Mateo Mira Nadia Nikos Noor Omar Oskar Priya Rafael Rosa Sami Sofia "
        "Tariq Theo Tomas Uma Valentina Victor Wen Yara Yusuf Zara Zoe"
    ),
    "last": _words(
        "Abara Alvarez Andersen Bakker Banerjee Becker Bianchi Castillo Costa Dubois "
        "Duarte Eriksen Fischer Fontaine Garcia Haddad Hansen Ibrahim Ivanova Jensen Kaur "
        "Kowalski Laurent Lindqvist Lopez Marino Mendes Moreau Nakamura Novak Okafor "
        "Olsen Park Petrov Quinn Rahman Rossi Santos Schmidt Sato Silva Singh Sorensen "
        "Tanaka Torres Varga Vogel Weber Wolff Yilmaz Zhang Ziegler"
    ),
    "city": _words(
        "Aarhus Accra Adelaide Almaty Antwerp Asuncion Auckland Baku Bergen Bilbao Bologna "
        "Bordeaux Brno Calgary Cork Cusco Dakar Davao Dresden Durban Eindhoven Fukuoka "
        "Galway Gdansk Geneva Ghent Graz Halifax Hobart Izmir Kaunas Kyoto Leeds Leipzig "
        "Lille Linz Lyon Malmo Marseille Medan Mombasa Montpellier Nagoya Nantes Oaxaca "
        "Oporto Oulu Perth Porto Quito Recife Riga Rosario Salvador Sapporo Seville Split "
        "Tallinn Tampere Toulouse Turin Utrecht Valencia Varna Windhoek Wroclaw Zagreb"
    ),
    "country": _words(
        "Argentina Australia Austria Belgium Brazil Canada Chile Colombia Croatia Denmark "
        "Egypt Estonia Finland France Germany Ghana Greece India Indonesia Ireland Italy "
        "Japan Kenya Mexico Morocco Netherlands Norway Peru Poland Portugal Senegal Spain "
        "Sweden Switzerland Turkey Uruguay Vietnam"
    ),
    "color": _words(
        "Amber Azure Black Blue Bronze Copper Coral Cyan Gold Gray Green Indigo Lilac "
        "Magenta Ochre Olive Orange Pink Purple Red Rose Ruby Sage Sand Scarlet Silver "
        "Teal Umber White Yellow"
    ),
    "animal": _words(
        "Badger Bear Bison Cobra Condor Coyote Crane Dolphin Eagle Falcon Fox Gecko Hawk "
        "Heron Ibex Jaguar Lynx Mantis Marten Moose Orca Osprey Otter Owl Panther Puma "
        "Raven Salmon Shark Sparrow Stag Tiger Viper Wasp Wolf Wren"
    ),
    "greek": _words(
        "Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron "
        "Pi Rho Sigma Tau Upsilon Phi Chi Psi Omega"
    ),
    "syllable": _words(
        "ba cor da el fen ga hal ix jo ka lor mer nor ob pra qua ren sol tav ul vex wyn "
        "xan yor zel"
    ),
}
